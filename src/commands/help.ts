/** The text of `/openclaw help [command]`, built from the grammar table. */
import { COMMAND_NAMES, COMMAND_SPECS, findSpec, type CommandSpec } from './grammar.js';
import { closest } from './suggest.js';

function block(spec: CommandSpec): string {
  return `${spec.usage}\n  ${spec.description}\n  e.g. ${spec.example}`;
}

/**
 * Help for one command (usage line, one sentence, an example) or, with no topic, for all of
 * them. An unknown topic gets a line saying so, then the help for everything.
 */
export function helpText(topic?: string): string {
  if (topic === undefined || topic.trim() === '') return COMMAND_SPECS.map(block).join('\n\n');
  const spec = findSpec(topic.trim());
  if (spec !== undefined) return block(spec);
  const guess = closest(topic.trim(), COMMAND_NAMES);
  const lead = `There is no command ${JSON.stringify(topic.trim().slice(0, 40))}${guess === undefined ? '' : ` (did you mean ${guess}?)`}.`;
  return `${lead}\n\n${helpText()}`;
}

/** The usage line of a command, e.g. to append to an error reply. */
export function usageLine(kind: string): string | undefined {
  return findSpec(kind)?.usage;
}
