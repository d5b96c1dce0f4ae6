/**
 * A page of usage rows, one per tenant and UTC day, ordered by day and then tenant in byte order (COLLATE "C": the
 * order JavaScript compares strings in, so the pages of two sources merge as SQL cut them): the rows after `after`,
 * `limit` at most.
 */
export interface UsagePage {
  after?: { day: string; tenant: string };
  limit: number;
}

/**
 * The SQL that keeps one page of rows grouped by the expressions `day` and `tenant`: a condition for WHERE
 * (`TRUE` on the first page) and the ORDER BY … LIMIT that ends the statement; its parameters go into `params`.
 */
export function usagePageSql(page: UsagePage, params: unknown[], day: string, tenant: string): { where: string; orderAndLimit: string } {
  const where = page.after
    ? `(${day}, ${tenant} COLLATE "C") > ($${params.push(page.after.day)}::text, $${params.push(page.after.tenant)}::text COLLATE "C")`
    : 'TRUE';
  return { where, orderAndLimit: `ORDER BY ${day}, ${tenant} COLLATE "C" LIMIT $${params.push(page.limit)}` };
}
