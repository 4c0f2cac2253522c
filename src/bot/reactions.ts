/**
 * Pure rules of the reaction path: which emoji means what, which plan a message showed (an
 * approval counts only for the plan the person saw), and where approval requests are mirrored.
 */
import type { ApprovalsConfig, ClawopsConfig } from '../config/schema.js';
import type { Platform } from '../chat/types.js';
import type { ThreadState } from '../chat/render/thread-state.js';

export type Decision = 'approve' | 'reject';

/** The decision a reaction stands for, or undefined for any other emoji. */
export function reactionDecision(reaction: string, reactions: ApprovalsConfig['reactions']): Decision | undefined {
  if (reactions.approve.includes(reaction)) return 'approve';
  if (reactions.reject.includes(reaction)) return 'reject';
  return undefined;
}

/**
 * The plan hash a thread message shows, by its key (see KeyedMessage): the root shows the plan,
 * an approval request the plan its gate was opened for. Other messages show none.
 */
export function shownPlanHash(state: ThreadState, key: string): string | undefined {
  if (key === 'plan') return state.plan?.hash;
  if (key.startsWith('gate:')) {
    const gateId = key.slice('gate:'.length);
    return state.gates.find((gate) => gate.id === gateId)?.planHash ?? state.plan?.hash;
  }
  return undefined;
}

/** Where approval requests of upgrades started elsewhere are mirrored on this platform, if anywhere. */
export function mirrorChannel(config: ClawopsConfig, platform: Platform): string | undefined {
  if (platform === 'slack') return config.chat.slack?.approvalsChannel ?? config.chat.slack?.announceChannel;
  if (platform === 'discord') return config.chat.discord?.approvalsChannel ?? config.chat.discord?.announceChannel;
  return undefined;
}
