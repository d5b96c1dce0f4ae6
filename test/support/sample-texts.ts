/**
 * A short benefits page in two Markdown sections (dental plans and their prices, then glasses): the corpus of the
 * conversation suites, whose follow-up questions ("and what do they cost?") only make sense against it.
 */
export const BENEFITS = [
  '# Dental',
  '',
  'The Smile and Smile Plus plans cover dental care. Smile costs 12 euros a month; Smile Plus costs 25 euros a month.',
  '',
  '# Vision',
  '',
  'Glasses are reimbursed up to 150 euros every two years.',
].join('\n');
