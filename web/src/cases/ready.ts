// The case page's "interactive" moment, for bench/web/case.mjs: the performance mark
// carehub:case-interactive, set once the case, its document list and every resource group are
// on the screen (each part says so when its data is shown).
import { useEffect, useState } from 'preact/hooks';
import { groupTypes } from './model';

export const caseInteractiveMark = 'carehub:case-interactive';
const parts = 2 + groupTypes.length; // the case, the documents, the groups
let shown = new Set<string>();

// Called by the page as it first renders (before its parts' effects run): a new count.
export function useCasePartsReset(id: string): void {
  useState(() => {
    shown = new Set();
    return id;
  });
}

export function useShown(part: string, ready: boolean): void {
  useEffect(() => {
    if (!ready || shown.has(part)) return;
    shown.add(part);
    if (shown.size === parts && performance.getEntriesByName(caseInteractiveMark).length === 0) {
      performance.mark(caseInteractiveMark);
    }
  }, [part, ready]);
}
