// The demo's sample database: a small shop with the everyday column types, so that \d, joins,
// aggregates, JSON, arrays and timestamps can all be tried at once.
export const SAMPLE_SCHEMA = `
CREATE TABLE customers (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  email      text UNIQUE NOT NULL,
  country    char(2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT '2026-01-01 09:00:00+00'
);
COMMENT ON TABLE customers IS 'People who bought something';

CREATE TABLE products (
  id         serial PRIMARY KEY,
  sku        varchar(16) UNIQUE NOT NULL,
  title      text NOT NULL,
  price      numeric(10,2) NOT NULL CHECK (price >= 0),
  tags       text[] NOT NULL DEFAULT '{}',
  attributes jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE orders (
  id          bigserial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers(id),
  ordered_at  timestamptz NOT NULL,
  shipped_on  date,
  express     boolean NOT NULL DEFAULT false
);

CREATE TABLE order_lines (
  order_id   bigint NOT NULL REFERENCES orders(id),
  product_id integer NOT NULL REFERENCES products(id),
  quantity   smallint NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

INSERT INTO customers (name, email, country) VALUES
  ('Ada Lovelace', 'ada@example.com', 'GB'),
  ('Grace Hopper', 'grace@example.com', 'US'),
  ('Margaret Hamilton', 'margaret@example.com', 'US'),
  ('Katherine Johnson', 'katherine@example.com', 'US'),
  ('Hedy Lamarr', 'hedy@example.com', 'AT');

INSERT INTO products (sku, title, price, tags, attributes) VALUES
  ('KB-01', 'Mechanical keyboard', 129.00, '{hardware,input}', '{"switches": "brown", "layout": "ISO"}'),
  ('MS-02', 'Wireless mouse', 39.90, '{hardware,input}', '{"dpi": 1600}'),
  ('MN-27', '27" monitor', 289.50, '{hardware,display}', '{"resolution": "2560x1440", "hz": 144}'),
  ('BK-PG', 'PostgreSQL internals (book)', 54.00, '{book}', '{"pages": 640}'),
  ('MG-01', 'Coffee mug', 12.50, '{}', '{"volume_ml": 350}');

INSERT INTO orders (customer_id, ordered_at, shipped_on, express) VALUES
  (1, '2026-03-02 10:15:00+01', '2026-03-03', true),
  (2, '2026-03-05 16:40:12.5+00', '2026-03-08', false),
  (3, '2026-04-11 08:02:00-05', NULL, false),
  (1, '2026-05-20 21:30:00+02', '2026-05-21', true),
  (5, '2026-06-01 12:00:00+00', NULL, false);

INSERT INTO order_lines (order_id, product_id, quantity) VALUES
  (1, 1, 1), (1, 2, 1), (2, 3, 2), (2, 5, 4), (3, 4, 1), (4, 5, 2), (5, 1, 1), (5, 4, 3);

CREATE VIEW order_totals AS
  SELECT o.id AS order_id, c.name AS customer, o.ordered_at, sum(l.quantity * p.price) AS total
  FROM orders o
  JOIN customers c ON c.id = o.customer_id
  JOIN order_lines l ON l.order_id = o.id
  JOIN products p ON p.id = l.product_id
  GROUP BY o.id, c.name, o.ordered_at;
`;
