/**
 * A product catalog for tests over a real port: 30 products with text, keyword, scaled_float,
 * integer, boolean and date fields, prices that tie (so sorts need tiebreakers), and a reference
 * BM25 written from the formula, to check the server's scores against values computed here.
 */

/** One product as indexed (its `sku` is also its `_id`). */
export interface Product {
  sku: string
  name: string
  description: string
  category: 'coffee' | 'tea' | 'kitchen'
  price: number
  rating: number
  in_stock: boolean
  added: string
}

/** The catalog's mapping, as `PUT /catalog` sends it and `GET /catalog/_mapping` must show it. */
export const CATALOG_MAPPING = {
  dynamic: 'strict',
  properties: {
    sku: { type: 'keyword' },
    name: { type: 'text' },
    description: { type: 'text' },
    category: { type: 'keyword' },
    price: { type: 'scaled_float', scaling_factor: 100 },
    rating: { type: 'integer' },
    in_stock: { type: 'boolean' },
    added: { type: 'date' },
  },
}

const ROWS: Array<[string, string, Product['category'], number, number]> = [
  ['Espresso machine', 'A compact espresso machine with a steam wand for milk', 'coffee', 249, 5],
  ['Espresso grinder', 'A burr grinder tuned for espresso and fine coffee', 'coffee', 89.5, 4],
  ['Manual grinder', 'A hand grinder for coffee beans on the road', 'coffee', 34.99, 4],
  ['Drip coffee maker', 'Brews twelve cups of coffee with a glass carafe', 'coffee', 34.99, 3],
  ['Cold brew bottle', 'Steeps coffee overnight in the fridge', 'coffee', 19.99, 4],
  ['Dark roast beans', 'Whole coffee beans roasted dark for espresso', 'coffee', 14.99, 5],
  ['Light roast beans', 'Whole coffee beans roasted light for filter coffee', 'coffee', 14.99, 3],
  ['Milk frother', 'Froths milk for cappuccino and latte at home', 'coffee', 29.99, 4],
  ['Espresso cups', 'Two small porcelain cups for espresso', 'coffee', 19.99, 5],
  ['Pour over kettle', 'A gooseneck kettle for pour over coffee and tea', 'coffee', 44.99, 4],
  ['Green tea', 'Loose leaf green tea from the mountains', 'tea', 9.99, 4],
  ['Black tea', 'Strong black tea for breakfast with milk', 'tea', 9.99, 3],
  ['Tea kettle', 'An electric kettle with settings for green tea and black tea', 'tea', 39.99, 5],
  ['Tea infuser', 'A steel infuser for loose leaf tea', 'tea', 12.5, 4],
  ['Matcha whisk', 'A bamboo whisk for matcha tea', 'tea', 7.99, 4],
  ['Oolong tea', 'Rolled oolong tea with a floral taste', 'tea', 16.99, 5],
  ['Tea cups', 'Four porcelain cups for tea', 'tea', 19.99, 3],
  ['Herbal tea', 'Caffeine free herbal tea with mint', 'tea', 12.5, 3],
  ['Chai spice tea', 'Black tea with cinnamon and cardamom', 'tea', 11.99, 4],
  ['Glass teapot', 'A glass teapot with an infuser', 'tea', 27.99, 4],
  ['Chef knife', 'A sharp steel knife for the kitchen', 'kitchen', 59.99, 5],
  ['Cutting board', 'A bamboo board for the kitchen counter', 'kitchen', 24.99, 4],
  ['Measuring cups', 'Steel cups for measuring flour and sugar', 'kitchen', 19.99, 4],
  ['Kitchen scale', 'A digital scale for baking and espresso dosing', 'kitchen', 14.99, 5],
  ['Mixing bowls', 'Three steel bowls for the kitchen', 'kitchen', 34.99, 4],
  ['Oven mitts', 'Cotton mitts for hot trays', 'kitchen', 9.99, 3],
  ['Whisk', 'A steel whisk for eggs and cream', 'kitchen', 22.5, 4],
  ['Espresso tamper', 'A steel tamper for espresso pucks', 'kitchen', 19.99, 4],
  ['Timer', 'A kitchen timer for tea and eggs', 'kitchen', 12.5, 3],
  ['Stand mixer', 'A stand mixer for dough and cream in the kitchen', 'kitchen', 89.5, 5],
]

/** The 30 products, in indexing order. */
export const PRODUCTS: Product[] = ROWS.map(([name, description, category, price, rating], i) => ({
  sku: `SKU-${String(i + 1).padStart(3, '0')}`,
  name,
  description,
  category,
  price,
  rating,
  in_stock: i % 3 !== 0,
  added: `2024-01-${String(i + 1).padStart(2, '0')}`,
}))

/** Tokens as the standard analyzer makes them of these plain texts: lowercased runs of letters and digits. */
export function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

/**
 * BM25 of `query` against one text field of the products, as Lucene's BM25Similarity with
 * Elasticsearch's defaults (k1 1.2, b 0.75): per field, idf = ln(1 + (N - df + 0.5) / (df + 0.5))
 * and tf / (tf + k1 * (1 - b + b * dl / avgdl)) summed over the query's terms (a term given twice
 * counts twice); 0 when no term matches.
 */
export function bm25(products: readonly Product[], field: 'name' | 'description', query: string): Map<string, number> {
  const docs = products.map((p) => tokens(p[field]))
  const avgdl = docs.reduce((sum, d) => sum + d.length, 0) / docs.length
  const scores = new Map<string, number>()
  products.forEach((product, i) => {
    let score = 0
    for (const term of tokens(query)) {
      const tf = docs[i].filter((t) => t === term).length
      if (tf === 0) continue
      const df = docs.filter((d) => d.includes(term)).length
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5))
      score += idf * (tf / (tf + 1.2 * (1 - 0.75 + (0.75 * docs[i].length) / avgdl)))
    }
    scores.set(product.sku, score)
  })
  return scores
}

/** `multi_match` best_fields over `name^nameBoost` and `description`: each product's best field score, matches only, best first (ties in indexing order). */
export function bestFields(products: readonly Product[], query: string, nameBoost: number): Array<[string, number]> {
  const name = bm25(products, 'name', query)
  const description = bm25(products, 'description', query)
  return products
    .map((p): [string, number] => [p.sku, Math.max(nameBoost * name.get(p.sku)!, description.get(p.sku)!)])
    .filter(([, score]) => score > 0)
    .sort((a, b) => b[1] - a[1])
}
