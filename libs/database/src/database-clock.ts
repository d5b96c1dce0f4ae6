import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from './pg-pool';

/**
 * The database server's clock. The times rows carry (updated_at, deleting_at) are the server's now(); a process
 * that compares them with its own clock acts early or late by as much as the two clocks differ, and machines'
 * clocks do differ (a container or VM without time sync, a VM resumed from a pause). Cut-offs compared with such
 * times are read from here.
 */
@Injectable()
export class DatabaseClock {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async now(): Promise<Date> {
    const { rows } = await this.pool.query<{ now: Date }>('SELECT now() AS now');
    return rows[0].now;
  }
}
