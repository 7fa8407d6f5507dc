import { DataSource } from 'typeorm';
import { databaseOptions } from './src/standalone/database/database-options';

/** The DataSource the TypeORM CLI uses: `npm run migration:run`. */
export default new DataSource(databaseOptions(process.env.DATABASE_URL));
