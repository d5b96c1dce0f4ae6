import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files in DATA_DIR/staging, where uploads stream before they are committed (see LocalBlobStore). */
export function stagingFiles(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'staging'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
