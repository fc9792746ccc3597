/** Kate's health records as the RS first stores them (JSON documents; `write` scope may replace them). */
export const RECORDS: Record<string, unknown> = {
  prescriptions: {
    kind: 'prescriptions',
    patient: { name: 'Kate Lee', born: '1961-03-08', id: 'STM-0048213' },
    prescriptions: [
      { id: 'rx-2026-1107', medication: 'Atorvastatin', strength: '20 mg', form: 'tablet', dosage: 'One tablet every evening', quantity: 28, refills: 5, prescribedBy: 'Dr. Alice Moreau', prescribed: '2026-11-07', status: 'active' },
      { id: 'rx-2026-0912', medication: 'Ramipril', strength: '5 mg', form: 'capsule', dosage: 'One capsule every morning', quantity: 28, refills: 3, prescribedBy: 'Dr. Alice Moreau', prescribed: '2026-09-12', status: 'active' },
      { id: 'rx-2026-0301', medication: 'Amoxicillin', strength: '500 mg', form: 'capsule', dosage: 'One capsule three times a day for 7 days', quantity: 21, refills: 0, prescribedBy: 'Dr. Omar Haddad', prescribed: '2026-03-01', status: 'completed' },
    ],
  },
  'blood-test': {
    kind: 'lab-report',
    patient: { name: 'Kate Lee', born: '1961-03-08', id: 'STM-0048213' },
    laboratory: 'St. Mary Laboratory',
    collected: '2026-10-14T08:20:00Z',
    reported: '2026-10-14T15:02:00Z',
    panel: 'Full blood count and lipid profile',
    results: [
      { test: 'Haemoglobin', value: 13.1, unit: 'g/dL', range: '12.0–15.5', flag: 'normal' },
      { test: 'White cell count', value: 6.2, unit: '10^9/L', range: '4.0–11.0', flag: 'normal' },
      { test: 'Platelets', value: 251, unit: '10^9/L', range: '150–400', flag: 'normal' },
      { test: 'LDL cholesterol', value: 3.9, unit: 'mmol/L', range: '< 3.0', flag: 'high' },
      { test: 'HDL cholesterol', value: 1.4, unit: 'mmol/L', range: '> 1.2', flag: 'normal' },
    ],
    comment: 'LDL above target; statin therapy started 2026-11-07.',
  },
  bills: {
    kind: 'bills',
    patient: { name: 'Kate Lee', id: 'STM-0048213' },
    currency: 'EUR',
    invoices: [
      { id: 'INV-88213', date: '2026-10-14', description: 'Laboratory: full blood count, lipid profile', amount: 86.4, status: 'submitted to insurer' },
      { id: 'INV-87950', date: '2026-09-12', description: 'Outpatient consultation, cardiology', amount: 145.0, status: 'paid' },
    ],
  },
  'care-notes': {
    kind: 'care-notes',
    patient: { name: 'Kate Lee', id: 'STM-0048213' },
    team: 'Riverside home-care team',
    notes: [
      { date: '2026-11-18', author: 'Nurse J. Okafor', text: 'Blood pressure 132/84. Taking medication as prescribed. Mild ankle swelling in the evening; advised leg elevation.' },
      { date: '2026-11-11', author: 'Nurse J. Okafor', text: 'First visit after statin start. No muscle pain reported. Diet advice given.' },
    ],
  },
};
