/**
 * Who decided an upgrade's gates, for its final report and its line in `history`. A report once
 * named the approvers of every gate under one "Approved by", so an upgrade whose traffic gate
 * expired still read as approved by the people who had only let it skip staging.
 */
import type { Approval } from '../jobs/events.js';

/** A gate as the report and the audit know it; only closed gates decide anything. */
export interface DecidedGate {
  title: string;
  status: 'pending' | 'waiting' | 'passed' | 'rejected' | 'expired';
  approvers: readonly Approval[];
  rejectedBy?: Approval;
}

/**
 * One sentence per deciding gate: the gate that stopped the upgrade (rejected or expired) alone,
 * otherwise every gate that passed, each with its own approvers. Empty when no gate closed.
 */
export function gateDecisions(gates: readonly DecidedGate[], name: (approval: Approval) => string): string[] {
  const stopper = gates.filter((gate) => gate.status === 'rejected' || gate.status === 'expired').at(-1);
  if (stopper !== undefined) {
    if (stopper.status === 'expired') return [`nobody approved "${stopper.title}" in time`];
    return [`"${stopper.title}" rejected${stopper.rejectedBy === undefined ? '' : ` by ${name(stopper.rejectedBy)}`}`];
  }
  return gates.filter((gate) => gate.status === 'passed').map((gate) => {
    const who = gate.approvers.map(name).join(', ');
    return `"${gate.title}" approved${who === '' ? '' : ` by ${who}`}`;
  });
}
