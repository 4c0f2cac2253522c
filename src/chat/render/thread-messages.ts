/**
 * The thread as a list of keyed messages. A gateway keeps key → posted MessageRef: a key it has
 * not posted yet is posted, a key whose message changed is updated (through the coalescer).
 */
import type { ChatMessage } from '../types.js';
import { renderApprovalRequest, renderChecklist, renderHealth, renderNote, renderPlanSummary, renderReport, type RenderOptions } from './messages.js';
import type { ThreadState } from './thread-state.js';

/** One message slot of a thread. `key` is stable for the life of the upgrade. */
export interface KeyedMessage {
  /** `plan`, `checklist`, `health`, `gate:<id>`, `note:<n>`, `report`. */
  key: string;
  message: ChatMessage;
}

/** The thread's messages in posting order; the plan summary is the thread root. */
export function threadMessages(state: ThreadState, options: RenderOptions = {}): KeyedMessage[] {
  const messages: KeyedMessage[] = [{ key: 'plan', message: renderPlanSummary(state) }];
  if (state.steps.length > 0 || state.gates.length > 0) messages.push({ key: 'checklist', message: renderChecklist(state) });
  if (state.healthRounds > 0) messages.push({ key: 'health', message: renderHealth(state) });
  for (const gate of state.gates) {
    if (gate.status !== 'pending') messages.push({ key: `gate:${gate.id}`, message: renderApprovalRequest(gate, state, options) });
  }
  const said = new Set<string>();
  state.notes.forEach((note, index) => {
    // Info logs belong in the audit log, not in everyone's notifications.
    if (note.kind === 'log' && note.level === 'info') return;
    if (note.kind === 'approval') {
      // The same person reacting again (or with another approve emoji) is said once per gate.
      const { platform, userId, decision } = note.approval;
      const what = JSON.stringify([note.gateId, platform, userId, decision, note.counted, note.note ?? '']);
      if (said.has(what)) return;
      said.add(what);
    }
    messages.push({ key: `note:${index}`, message: renderNote(note) });
  });
  if (state.finished !== undefined) messages.push({ key: 'report', message: renderReport(state) });
  return messages;
}

/** What to do to bring a thread from what was sent to what the state shows. */
export type ThreadOp = { op: 'post' | 'update'; key: string; message: ChatMessage };

/** Compares with the last message sent per key; unchanged messages produce no op. */
export function diffThread(sent: ReadonlyMap<string, ChatMessage>, next: readonly KeyedMessage[]): ThreadOp[] {
  const ops: ThreadOp[] = [];
  for (const { key, message } of next) {
    const previous = sent.get(key);
    if (previous === undefined) ops.push({ op: 'post', key, message });
    else if (!sameMessage(previous, message)) ops.push({ op: 'update', key, message });
  }
  return ops;
}

export function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
