// The services' Postgres: one pool per process, and the schema each service creates if missing.
import pg from 'pg';

export const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.PG_POOL_MAX ?? 5),
});

export async function ensureSchema() {
  await pool.query('CREATE SCHEMA IF NOT EXISTS order_service');
  await pool.query(`CREATE TABLE IF NOT EXISTS order_service.orders (
    id SERIAL PRIMARY KEY,
    item TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL,
    shipping_cents INTEGER,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
  await pool.query(`CREATE TABLE IF NOT EXISTS order_service.shipping_rates (
    size TEXT PRIMARY KEY,
    cents_per_unit INTEGER NOT NULL
  )`);
  await pool.query(`INSERT INTO order_service.shipping_rates (size, cents_per_unit)
    VALUES ('small', 250), ('large', 900) ON CONFLICT (size) DO NOTHING`);
}
