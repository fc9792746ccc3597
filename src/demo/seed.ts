/**
 * The demo's story, as data: Kate (resource owner) keeps health records at the RS and shares them
 * through her AS with Dr. Alice (a physician signing in at "Hospital ID"), Sam (her son), an insurer;
 * Mallory is refused. Everything here is a fixed, documented demo credential — never a real secret.
 */
import type { Policy } from './as/policy';

export interface DemoUser {
  username: string;
  password: string;
  name: string;
  email: string;
  role: string;
  /** Where the user signs in: the IdP ("Hospital ID") or the AS dashboard (resource owner). */
  at: 'idp' | 'as';
  story: string;
}

export const USERS: DemoUser[] = [
  { username: 'alice', password: 'alice-demo', name: 'Dr. Alice Moreau', email: 'alice@hospital.example', role: 'physician', at: 'idp', story: "Kate's physician: prescriptions (pushed ID token), blood-test report after accepting the lab's terms, care notes after Kate approves" },
  { username: 'sam', password: 'sam-demo', name: 'Sam Lee', email: 'sam@family.example', role: 'family', at: 'idp', story: "Kate's son: prescriptions, by his verified email" },
  { username: 'insurer', password: 'insurer-demo', name: 'Claims Desk, Acme Health Insurance', email: 'claims@insurer.example', role: 'insurer', at: 'idp', story: "Kate's insurer: hospital bills" },
  { username: 'mallory', password: 'mallory-demo', name: 'Mallory Quinn', email: 'mallory@elsewhere.example', role: 'visitor', at: 'idp', story: 'Someone else: refused everywhere' },
  { username: 'kate', password: 'kate-demo', name: 'Kate Lee', email: 'kate@patient.example', role: 'patient', at: 'as', story: 'Resource owner: sets policies, approves requests, sees the access log in her dashboard' },
];

/** The IdP's (Hospital ID) native public client for Tessera: RFC 8252 loopback redirect, any port. */
export const IDP_TESSERA_CLIENT = { client_id: 'tessera', redirect_uri: 'http://127.0.0.1/oidc/callback' } as const;
/** The AS signs requesting parties in at Hospital ID during claims interaction (it is an RP there). */
export const IDP_AS_CLIENT = { client_id: 'kate-as', client_secret: 'kate-as-demo-secret' } as const;
/** Tessera's confidential client at the AS (UMA grant). */
export const AS_TESSERA_CLIENT = {
  client_id: 'tessera',
  client_secret: 'tessera-demo-secret',
  token_endpoint_auth_method: 'client_secret_basic' as const,
  claims_redirect_uris: ['http://127.0.0.1/uma/claims-callback'],
};
/** The RS's protection-API client at the AS; its PAT speaks for Kate (one PAT per RO, RS, AS). */
export const AS_RS_CLIENT = { client_id: 'health-records-rs', client_secret: 'health-records-rs-demo-secret', owner: 'kate' } as const;

export interface SeedResource {
  /** Stable name the RS registers the resource under (`name` in the resource description). */
  name: string;
  title: string;
  path: string;
  scopes: string[];
  type: string;
  description: string;
}

export const RESOURCES: SeedResource[] = [
  { name: 'prescriptions', title: "Kate's prescriptions", path: '/patients/kate/prescriptions', scopes: ['read', 'write'], type: 'https://tessera.example/uma/health-record/prescriptions', description: 'Current and past prescriptions' },
  { name: 'blood-test', title: "Kate's blood-test report", path: '/patients/kate/blood-test', scopes: ['read'], type: 'https://tessera.example/uma/health-record/lab-report', description: 'Full blood count, 2026-10-14' },
  { name: 'bills', title: "Kate's hospital bills", path: '/patients/kate/bills', scopes: ['read'], type: 'https://tessera.example/uma/health-record/bills', description: 'Invoices from St. Mary hospital' },
  { name: 'discharge-letter', title: "Kate's discharge letter (PDF)", path: '/patients/kate/discharge-letter', scopes: ['read'], type: 'https://tessera.example/uma/health-record/document', description: 'Discharge letter, St. Mary hospital, 2026-10-16 (PDF)' },
  { name: 'care-notes', title: "Kate's care notes", path: '/patients/kate/care-notes', scopes: ['read', 'write'], type: 'https://tessera.example/uma/health-record/care-notes', description: 'Notes from the home-care team' },
];

/** Kate's initial policies, by resource name. She edits them in her dashboard. */
export function defaultPolicies(idpIssuer: string): Record<string, Policy> {
  return {
    prescriptions: { rules: [
      { id: 'son', match: { claim: 'email', value: 'sam@family.example' }, issuer: idpIssuer, scopes: ['read'], terms: false, approval: false },
      { id: 'physicians', match: { claim: 'role', value: 'physician' }, issuer: idpIssuer, scopes: ['read'], terms: false, approval: false },
    ] },
    'blood-test': { rules: [
      { id: 'physicians-terms', match: { claim: 'role', value: 'physician' }, issuer: idpIssuer, scopes: ['read'], terms: true, approval: false },
    ] },
    bills: { rules: [
      { id: 'insurer', match: { claim: 'role', value: 'insurer' }, issuer: idpIssuer, scopes: ['read'], terms: false, approval: false },
    ] },
    'discharge-letter': { rules: [
      { id: 'physicians', match: { claim: 'role', value: 'physician' }, issuer: idpIssuer, scopes: ['read'], terms: false, approval: false },
    ] },
    'care-notes': { rules: [
      { id: 'physicians-approval', match: { claim: 'role', value: 'physician' }, issuer: idpIssuer, scopes: ['read'], terms: false, approval: true },
      { id: 'son-approval', match: { claim: 'email', value: 'sam@family.example' }, issuer: idpIssuer, scopes: ['read'], terms: false, approval: true },
    ] },
  };
}

export const LAB_TERMS = 'I will use this blood-test report only for the care of the patient, keep it confidential, and not pass it to third parties (St. Mary Laboratory data-use terms, v3).';
