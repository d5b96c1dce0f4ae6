/** The ADMIN_API_KEY every test environment starts with; test requests send it unless told otherwise. */
export const TEST_ADMIN_KEY = 'groundwork-test-admin-key-0123456789abcdef';

let defaultApiKey = TEST_ADMIN_KEY;

/**
 * Makes requests without an explicit key send `key` instead of the test admin key: for benchmarks pointed
 * at a running system (`--url`), whose keys the tests do not know.
 */
export function useDefaultApiKey(key: string): void {
  defaultApiKey = key;
}

/** Authorization header for `apiKey` (the default key when undefined; null sends none). */
export function authHeaders(apiKey: string | null = defaultApiKey): Record<string, string> {
  return apiKey === null ? {} : { Authorization: `Bearer ${apiKey}` };
}
