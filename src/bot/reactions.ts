/**
 * Pure rules of the reaction path: which emoji means what, which plan a message showed (an
 * approval counts only for the plan the person saw), and where approval requests are mirrored.
 */
import type { ApprovalsConfig, ClawopsConfig } from '../config/schema.js';
import type { ApprovalResult } from '../jobs/api.js';
import type { Platform } from '../chat/types.js';
import type { ThreadState } from '../chat/render/thread-state.js';
import { displayReaction } from '../chat/render/format.js';

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

/**
 * Whether a reaction on this message can decide: the plan (it decides the gate that waits), an
 * approval request, or a message linked to an upgrade outside its thread (key absent). A
 * checklist or report only shows progress, and ✅ on it must not release a gate by accident.
 */
export function asksForDecision(key: string | undefined): boolean {
  return key === undefined || key === 'plan' || key.startsWith('gate:');
}

/** The private answer to a reaction on a bot message that does nothing, naming what would. */
export function idleReactionAnswer(reaction: string, asks: boolean, reactions: ApprovalsConfig['reactions']): string {
  const approve = displayReaction(reactions.approve);
  const reject = displayReaction(reactions.reject);
  const what = `${displayReaction([reaction])} does nothing here`;
  return asks ? `${what}: react ${approve} to approve or ${reject} to reject.`
    : `${what}: approvals are given on an upgrade's plan or approval request (${approve} approves, ${reject} rejects).`;
}

/** The gate a thread message asks about, by its key (`gate:<id>`); the plan message asks about none. */
export function gateOfKey(key: string | undefined): string | undefined {
  return key?.startsWith('gate:') ? key.slice('gate:'.length) : undefined;
}

/**
 * The short answer a person gets privately for a decision no thread note will show: one that came
 * after its gate closed (kept in the audit as late), or one given while no gate was open.
 */
export function privateAnswer(decision: Decision, upgradeId: string, result: ApprovalResult): string | undefined {
  if (result.counted) return undefined;
  const what = decision === 'approve' ? 'approval' : 'rejection';
  const gate = result.gateTitle ?? result.gateId;
  const of = gate === undefined || gate === '' ? `of ${upgradeId}` : `of "${gate}" (${upgradeId})`;
  if (result.late === true) return `Too late: your ${what} ${of} did not count, ${result.reason ?? 'the gate had closed'}.`;
  if (result.gateId === undefined) return `Not counted: your ${what} ${of}: ${result.reason ?? 'no gate is waiting'}.`;
  return undefined;
}
