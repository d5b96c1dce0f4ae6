import { requestJson } from './http';

/** Creates an API key through the admin endpoint (as the test admin) and returns the raw key and its id. */
export async function createApiKey(baseUrl: string, body: { tenant?: string; role: string; name: string }): Promise<{ id: string; key: string }> {
  const created = await requestJson(baseUrl, '/v1/admin/api-keys', { method: 'POST', json: body });
  if (created.status !== 201) throw new Error(`POST /v1/admin/api-keys answered ${created.status}: ${JSON.stringify(created.body)}`);
  return { id: created.body.id, key: created.body.key };
}
