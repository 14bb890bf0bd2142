/**
 * CIDRs as a NetworkPolicy `ipBlock` needs them: parsed, canonical (host bits cleared, IPv6
 * compressed) and sorted by family. Parsing uses `ip-address` (IPv6 text forms are many; a
 * hand-written parser is where the bypasses live).
 *
 * @packageDocumentation
 */
import { Address4, Address6 } from 'ip-address';

/** A parsed CIDR: its family and canonical text. */
export interface Cidr {
  readonly family: 4 | 6;
  /** Canonical `address/prefix`, with the host bits cleared. */
  readonly text: string;
  readonly prefix: number;
}

/** Parses `text` (a CIDR, or a bare address taken as /32 or /128); undefined when invalid. */
export const parseCidr = (text: string): Cidr | undefined => {
  const t = text.trim();
  try {
    if (!t.includes(':')) {
      const a = new Address4(t.includes('/') ? t : `${t}/32`);
      return { family: 4, text: `${a.startAddress().correctForm()}/${a.subnetMask}`, prefix: a.subnetMask };
    }
    const a = new Address6(t.includes('/') ? t : `${t}/128`);
    // An IPv4-mapped address would be matched as IPv6 by no CNI; refuse it rather than guess.
    if (a.is4()) return undefined;
    return { family: 6, text: `${a.startAddress().correctForm()}/${a.subnetMask}`, prefix: a.subnetMask };
  } catch {
    return undefined;
  }
};

/** The distinct canonical CIDRs of `cidrs` of one family, sorted. */
export const canonicalCidrs = (cidrs: readonly Cidr[], family: 4 | 6): string[] =>
  [...new Set(cidrs.filter((c) => c.family === family).map((c) => c.text))].sort();
