/**
 * Bolt's HTTP receiver with one more check in front: Bolt rejects timestamps older than five
 * minutes but accepts any in the future, so a captured request signed with a future timestamp
 * could be replayed for as long as that future lasts. We refuse those before Bolt sees them.
 */
import { HTTPReceiver } from '@slack/bolt';
import type { Logger as BoltLogger } from '@slack/bolt';

/** Options of createGuardedReceiver. */
export interface GuardedReceiverOptions {
  signingSecret: string;
  logger: BoltLogger;
  /** Accepted clock skew into the future, in seconds. Default 300 (Slack's own window). */
  maxFutureSeconds?: number;
  endpoints?: string | string[];
  now?: () => number;
}

export const TIMESTAMP_HEADER = 'x-slack-request-timestamp';

export function createGuardedReceiver(options: GuardedReceiverOptions): HTTPReceiver {
  const maxFuture = options.maxFutureSeconds ?? 300;
  const now = options.now ?? Date.now;
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    logger: options.logger,
    endpoints: options.endpoints ?? '/slack/events',
  });
  const verified = receiver.requestListener;
  receiver.requestListener = (request, response) => {
    const header = request.headers[TIMESTAMP_HEADER];
    const timestamp = Number(Array.isArray(header) ? header[0] : header);
    if (Number.isFinite(timestamp) && timestamp > now() / 1000 + maxFuture) {
      options.logger.warn(`rejected a Slack request whose timestamp is ${Math.round(timestamp - now() / 1000)} s in the future`);
      response.writeHead(401).end();
      return;
    }
    verified(request, response);
  };
  return receiver;
}
