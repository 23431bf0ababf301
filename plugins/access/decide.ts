import { formatAt } from './format-at.js';
import { bestMatch, compareSpecificity, describeEntry, type AddressList, type ClientAddress } from './address-match.js';

export type AccessDecision =
  | { readonly admitted: true; readonly detail: string }
  | { readonly admitted: false; readonly detail: string; readonly tie: boolean };

/**
 * The only_from / no_access decision as the xinetd manual states it: a client in both lists
 * is decided by the more specific match; equally specific matches refuse (reference 5.3).
 * `undefined` lists are unset; an empty only_from admits nobody.
 */
export function decideAccess(onlyFrom: AddressList | undefined, noAccess: AddressList | undefined, client: ClientAddress, name: string | undefined): AccessDecision {
  const allowed = onlyFrom ? bestMatch(onlyFrom, client, name) : undefined;
  const denied = noAccess ? bestMatch(noAccess, client, name) : undefined;
  if (allowed && denied) {
    const cmp = compareSpecificity(allowed, denied);
    const both = `only_from ${describeEntry(allowed)} and no_access ${describeEntry(denied)}`;
    if (cmp > 0) return { admitted: true, detail: `${both} match; only_from is more specific` };
    if (cmp < 0) return { admitted: false, tie: false, detail: `${both} match; no_access is more specific` };
    return { admitted: false, tie: true, detail: `${both} match equally` };
  }
  if (denied) return { admitted: false, tie: false, detail: `no_access ${describeEntry(denied)}` };
  if (onlyFrom && !allowed) {
    const where = formatAt(onlyFrom.at);
    return { admitted: false, tie: false, detail: onlyFrom.entries.length === 0 ? `only_from is empty${where}` : `not in only_from${where}` };
  }
  if (allowed) return { admitted: true, detail: `only_from ${describeEntry(allowed)}` };
  return { admitted: true, detail: noAccess ? 'not in no_access' : 'no address restriction' };
}
