// What the prospect list's filters ask for. The same choices become the replica's list query
// (one page at a time) and, for a text search, which found rows stay in view: a search answers
// with the best matches anywhere, and the status or category picked beside it still applies.

import type { ListFilter, ProspectRow, ReviewState, SortBy, Status } from './types';

/** The list's filters as the person set them; an empty string means "any". */
export interface ListChoices {
  territory: string;
  status: Status | '';
  category: string;
  review: ReviewState | '';
  conflictsOnly: boolean;
  /** The manager's review queue: only prospects awaiting review. */
  awaitingReview: boolean;
  sort: SortBy;
}

/** The replica's query for page `page` (of `pageSize` rows) of the list these choices show. */
export function listFilter(choices: ListChoices, page: number, pageSize: number): ListFilter {
  return {
    territory: choices.territory === '' ? null : choices.territory,
    status: choices.status === '' ? null : choices.status,
    category: choices.category === '' ? null : choices.category,
    review_state: choices.review === '' ? null : choices.review,
    awaiting_review: choices.awaitingReview ? true : null,
    has_conflicts: choices.conflictsOnly ? true : null,
    updated_since: null,
    include_hidden: false,
    sort: choices.sort,
    limit: pageSize,
    offset: page * pageSize,
  };
}

/** Whether a row found by a search is one the filters show (the same rules as the list query). */
export function keepsRow(choices: ListChoices, row: ProspectRow): boolean {
  return (
    (choices.territory === '' || row.territory === choices.territory) &&
    (choices.status === '' || row.status === choices.status) &&
    (choices.category === '' || row.category === choices.category) &&
    (choices.review === '' || row.review_state === choices.review) &&
    (!choices.conflictsOnly || row.has_conflicts) &&
    (!choices.awaitingReview || row.awaiting_review) &&
    !row.deleted &&
    row.merged_into === null
  );
}

/** Whether any filter narrows the list (so an empty list means "nothing matches", not "no prospects"). */
export function narrows(choices: ListChoices): boolean {
  return (
    choices.territory !== '' ||
    choices.status !== '' ||
    choices.category !== '' ||
    choices.review !== '' ||
    choices.conflictsOnly ||
    choices.awaitingReview
  );
}
