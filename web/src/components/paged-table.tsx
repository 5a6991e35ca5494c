// One page of a list whose place lives in the address (?offset=): a status line instead of an
// empty table, else the table and the pager under it.
import type { ComponentChildren } from 'preact';
import { Pager } from './pager';
import { type Column, DataTable } from './table-box';

export function PagedTable(props: {
  label: string; // names the table, as DataTable's
  columns: Column[];
  compact?: boolean;
  empty: string; // said when the page has no rows
  offset: number;
  limit: number;
  shown: number; // rows on this page
  total?: number; // absent (an older server): at least one more page while this one is full
  base: string; // the list's console address, for the pager's links
  query: URLSearchParams;
  children: ComponentChildren; // the rows
}) {
  const { offset, limit, shown } = props;
  if (shown === 0) {
    return (
      <p role="status" class="empty">
        {props.empty}
      </p>
    );
  }
  return (
    <>
      <DataTable label={props.label} columns={props.columns} compact={props.compact}>
        {props.children}
      </DataTable>
      <Pager
        offset={offset}
        limit={limit}
        shown={shown}
        total={props.total ?? offset + shown + (shown === limit ? 1 : 0)}
        base={props.base}
        query={props.query}
      />
    </>
  );
}
