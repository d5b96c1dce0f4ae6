/**
 * A heuristic prompt-injection detector: phrases that address the model rather than inform a reader. It
 * flags for review and, optionally, blocking; it is not the defence itself (that is keeping sources inside
 * delimited, untrusted blocks), so it aims at the common, recognisable forms and accepts missing clever ones.
 */
export interface InjectionFinding {
  flagged: boolean;
  /** Names of the patterns that matched, e.g. `ignore_instructions`. */
  reasons: string[];
}

const INSTRUCTIONS = String.raw`(?:instructions?|prompts?|rules|directions|directives|guidelines|context|messages?)`;

const PATTERNS: { reason: string; pattern: RegExp }[] = [
  {
    reason: 'ignore_instructions',
    pattern: new RegExp(String.raw`\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*(?:previous|prior|above|earlier|preceding|former|original|system|existing)\s+${INSTRUCTIONS}`, 'i'),
  },
  {
    reason: 'do_not_follow_rules',
    pattern: new RegExp(String.raw`\b(?:do\s+not|don't|stop)\s+(?:follow(?:ing)?|obey(?:ing)?)\s+(?:the\s+|your\s+|any\s+)?(?:system\s+)?${INSTRUCTIONS}`, 'i'),
  },
  { reason: 'role_reassignment', pattern: /\b(?:you\s+are\s+now|from\s+now\s+on,?\s+you\s+(?:are|will|must)|pretend\s+(?:to\s+be|you\s+are)|act\s+as\s+(?:an?\s+)?(?:unrestricted|unfiltered|different|new)|roleplay\s+as)\b/i },
  { reason: 'new_instructions', pattern: /\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions\s*:/i },
  {
    reason: 'system_prompt_exfiltration',
    pattern: /\b(?:reveal|show|print|repeat|output|display|leak|dump|tell\s+me|what\s+(?:is|are|was))\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|exact\s+)?(?:system|initial|hidden|original|secret|developer)\s+(?:prompt|instructions|message|rules)/i,
  },
  { reason: 'jailbreak', pattern: /\b(?:jailbreak|developer\s+mode|DAN\s+mode|do\s+anything\s+now)\b/i },
  // Chat-template control tokens and role headers have no business in a question or a document. Inside a line
  // only [ \t] counts as space: \s would let `^\s*` run across line breaks, retrying a run of blank lines from
  // each of its lines (quadratic), and let two adjacent \s* trade the same spaces.
  {
    reason: 'role_tags',
    pattern:
      /<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>|^[ \t]*#{2,}[ \t]*(?:system|instruction)s?[ \t]*(?::[ \t]*)?$|^[ \t]*(?:system|assistant)[ \t]*:\s/im,
  },
];

/**
 * Only the first 32 KiB of a text are inspected: questions are at most 4,000 characters and retrieved
 * passages, chunks of at most 4,000 tokens, are under 24k characters unless made of repeated characters (see
 * MAX_SPLIT_CHARS). Detection runs on the API's event loop for the question and every retrieved passage.
 */
export const MAX_INSPECTED_CHARS = 32_768;

/** Inspects the first `maxChars` characters of `text` (tests pass Infinity to time the patterns themselves). */
export function detectPromptInjection(text: string, maxChars = MAX_INSPECTED_CHARS): InjectionFinding {
  if (text.length > maxChars) text = text.slice(0, maxChars);
  const reasons = PATTERNS.filter(({ pattern }) => pattern.test(text)).map(({ reason }) => reason);
  return { flagged: reasons.length > 0, reasons };
}
