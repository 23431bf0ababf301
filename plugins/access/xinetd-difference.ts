import { compareSpecificity, describeEntry, entriesOverlap, type AddressList } from './address-match.js';

/**
 * Pairs of entries where xinetd 2.3.15 (which refuses any client in both lists) and xinetd-ts
 * (where the more specific only_from entry admits) decide differently, as `check` warnings.
 */
export function xinetdDifferences(onlyFrom: AddressList | undefined, noAccess: AddressList | undefined): string[] {
  if (!onlyFrom || !noAccess) return [];
  const out: string[] = [];
  for (const allow of onlyFrom.entries) {
    for (const deny of noAccess.entries) {
      if (entriesOverlap(allow, deny) !== true || compareSpecificity(allow, deny) <= 0) continue;
      out.push(`only_from ${describeEntry(allow)} is more specific than no_access ${describeEntry(deny)}: xinetd-ts admits clients matching both, xinetd 2.3.15 refuses them`);
    }
  }
  return out;
}
