// What only managers decide inside a prospect (the server refuses an agent's change that writes
// it; see docs/protocol.md, "Who may write what"): the app offers agents none of it, not even to
// settle a conflict.
const MANAGERS_DECIDE = ['review', 'merged_into', 'distinct_from', 'deleted'];

/** Whether the field at `path` ("review", "address.city", ...) is a manager's decision. */
export function managersDecide(path: string): boolean {
  return MANAGERS_DECIDE.includes(path.split('.')[0]);
}
