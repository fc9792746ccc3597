/** Which Keycloak permissions cover a RESOURCE[#SCOPE[,SCOPE]] the probe asked about (by name or id; #SCOPE: any resource). */
import { describe, expect, it } from 'vitest';
import { covers } from '../../src/probe/checks/keycloak-decision';

const rpt = [{ rsid: 'id-1', rsname: 'prescriptions', scopes: ['read'] }, { rsid: 'id-2', rsname: 'bills' }];

describe('covers (keycloak checks)', () => {
  it('matches by name or id, every scope asked for', () => {
    expect(covers(rpt, 'prescriptions#read')).toBe(true);
    expect(covers(rpt, 'id-1#read')).toBe(true);
    expect(covers(rpt, 'id-1')).toBe(true);
    expect(covers(rpt, 'id-1#read,write')).toBe(false);
    expect(covers(rpt, 'id-1#write')).toBe(false);
  });
  it('a resource granted without its scope does not cover the scope (Keycloak 26.7.3 issues such RPTs)', () => {
    expect(covers(rpt, 'bills#read')).toBe(false);
    expect(covers(rpt, 'bills')).toBe(true);
  });
  it('#SCOPE alone: any resource with that scope', () => {
    expect(covers(rpt, '#read')).toBe(true);
    expect(covers(rpt, '#write')).toBe(false);
    expect(covers([], '#read')).toBe(false);
  });
});
