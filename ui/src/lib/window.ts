// The slice of a long list worth rendering: the rows in view plus a margin either side, and
// the pages of rows to fetch for them. The list's scroll height stays that of every row, so the
// scrollbar tells the truth while only a screenful exists in the page.

export interface RowWindow {
  first: number;
  /** One past the last row to render. */
  end: number;
}

export function rowWindow(scrollTop: number, viewHeight: number, rowHeight: number, count: number, margin = 8): RowWindow {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - margin);
  const end = Math.min(count, Math.ceil((scrollTop + viewHeight) / rowHeight) + margin);
  return { first, end: Math.max(first, end) };
}

/** The page numbers holding rows `first` to `end`. */
export function pagesFor(window: RowWindow, pageSize: number): number[] {
  if (window.end <= window.first) return [];
  const pages: number[] = [];
  for (let page = Math.floor(window.first / pageSize); page * pageSize < window.end; page++) pages.push(page);
  return pages;
}
