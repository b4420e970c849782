// Lucene 4.10 side of scripts/bench/compare-engines.js: EnglishAnalyzer + BM25Similarity(0.9, 0.4),
// one "contents" field (title + text), bag-of-words queries (one SHOULD TermQuery per analyzed
// query token, so repeated tokens count repeatedly, as Anserini does). Prints one JSON line.
// Indexing: 256 MB RAM buffer, then forceMerge(1) (reported as compactSeconds, like lsr's compaction).
// Two query modes, both scoring every matching document (Lucene 4.10 has no dynamic pruning of
// disjunctions; WAND/block-max came in Lucene 8):
//  - "BooleanScorer": IndexSearcher.search(query, k), whose collector accepts documents out of
//    order, so a pure disjunction runs BooleanScorer (term-at-a-time over windows of 2,048 ids);
//    its default and fastest way, and the "exhaustive" baseline of issue 15;
//  - "BooleanScorer2": an in-order TopScoreDocCollector, which makes it score document-at-a-time
//    (DisjunctionSumScorer).
// Usage: LuceneBench corpus.tsv indexDir runFile passes warmup name=queries.tsv [name=queries.tsv ...]
// (the run file holds the first query set's BooleanScorer top-100).
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.*;
import org.apache.lucene.index.*;
import org.apache.lucene.search.*;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

public class LuceneBench {
  interface Search { void run(Query query, int k) throws IOException; }

  public static void main(String[] args) throws Exception {
    String corpus = args[0], indexDir = args[1], runFile = args[2];
    int passes = Integer.parseInt(args[3]), warmup = Integer.parseInt(args[4]);
    EnglishAnalyzer analyzer = new EnglishAnalyzer();
    BM25Similarity similarity = new BM25Similarity(0.9f, 0.4f);
    BooleanQuery.setMaxClauseCount(100000);

    long started = System.nanoTime();
    FSDirectory dir = FSDirectory.open(new File(indexDir));
    IndexWriterConfig config = new IndexWriterConfig(Version.LUCENE_4_10_4, analyzer);
    config.setSimilarity(similarity);
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    config.setRAMBufferSizeMB(256);
    IndexWriter writer = new IndexWriter(dir, config);
    int docs = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(corpus), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; docs++) {
        int tab = line.indexOf('\t');
        Document doc = new Document();
        doc.add(new StringField("id", line.substring(0, tab), Field.Store.YES));
        doc.add(new TextField("contents", line.substring(tab + 1), Field.Store.NO));
        writer.addDocument(doc);
      }
    }
    long merging = System.nanoTime();
    writer.forceMerge(1);
    writer.close();
    long finished = System.nanoTime();
    long size = 0;
    for (File f : new File(indexDir).listFiles()) size += f.length();

    DirectoryReader reader = DirectoryReader.open(dir);
    IndexSearcher searcher = new IndexSearcher(reader);
    searcher.setSimilarity(similarity);
    Map<String, Search> modes = new LinkedHashMap<>();
    modes.put("BooleanScorer", (q, k) -> searcher.search(q, k));
    modes.put("BooleanScorer2", (q, k) -> searcher.search(q, TopScoreDocCollector.create(k, true)));

    StringBuilder json = new StringBuilder();
    json.append("{\"engine\":\"Lucene 4.10.4\",\"docs\":").append(docs)
        .append(",\"indexSeconds\":").append((finished - started) / 1e9)
        .append(",\"compactSeconds\":").append((finished - merging) / 1e9)
        .append(",\"indexBytes\":").append(size)
        .append(",\"memoryBytes\":null,\"latency\":{"); // the index is memory-mapped: not in the JVM heap
    for (int s = 5; s < args.length; s++) {
      String name = args[s].substring(0, args[s].indexOf('='));
      List<String> qids = new ArrayList<>();
      List<Query> queries = readQueries(args[s].substring(name.length() + 1), analyzer, qids);
      json.append(s == 5 ? "" : ",").append('"').append(name).append("\":{");
      int m = 0;
      for (Map.Entry<String, Search> mode : modes.entrySet()) {
        json.append(m++ == 0 ? "" : ",").append('"').append(mode.getKey()).append("\":{")
            .append("\"10\":").append(latency(queries, 10, mode.getValue(), passes, warmup))
            .append(",\"100\":").append(latency(queries, 100, mode.getValue(), passes, warmup)).append('}');
      }
      json.append('}');
      if (s == 5) writeRun(runFile, searcher, queries, qids);
    }
    json.append("}}");
    reader.close();
    System.out.println(json);
  }

  static List<Query> readQueries(String file, EnglishAnalyzer analyzer, List<String> qids) throws IOException {
    List<Query> queries = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(file), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        int tab = line.indexOf('\t');
        qids.add(line.substring(0, tab));
        BooleanQuery query = new BooleanQuery();
        try (TokenStream stream = analyzer.tokenStream("contents", line.substring(tab + 1))) {
          CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
          stream.reset();
          while (stream.incrementToken()) query.add(new TermQuery(new Term("contents", term.toString())), BooleanClause.Occur.SHOULD);
          stream.end();
        }
        queries.add(query);
      }
    }
    return queries;
  }

  /** {"p50":..,"p99":..} in ms: medians over `passes` timed passes, after `warmup` passes. */
  static String latency(List<Query> queries, int k, Search search, int passes, int warmup) throws IOException {
    for (int w = 0; w < warmup; w++) for (Query q : queries) search.run(q, k);
    double[] p50 = new double[passes], p99 = new double[passes];
    for (int pass = 0; pass < passes; pass++) {
      double[] times = new double[queries.size()];
      for (int i = 0; i < queries.size(); i++) {
        long t = System.nanoTime();
        search.run(queries.get(i), k);
        times[i] = (System.nanoTime() - t) / 1e6;
      }
      Arrays.sort(times);
      p50[pass] = times[Math.max(0, (int) Math.ceil(0.5 * times.length) - 1)];
      p99[pass] = times[Math.max(0, (int) Math.ceil(0.99 * times.length) - 1)];
    }
    Arrays.sort(p50);
    Arrays.sort(p99);
    return "{\"p50\":" + p50[passes / 2] + ",\"p99\":" + p99[passes / 2] + "}";
  }

  static void writeRun(String runFile, IndexSearcher searcher, List<Query> queries, List<String> qids) throws IOException {
    try (PrintWriter run = new PrintWriter(new OutputStreamWriter(new FileOutputStream(runFile), StandardCharsets.UTF_8))) {
      for (int i = 0; i < queries.size(); i++) {
        ScoreDoc[] hits = searcher.search(queries.get(i), 100).scoreDocs;
        for (int r = 0; r < hits.length; r++) {
          run.println(qids.get(i) + " Q0 " + searcher.doc(hits[r].doc).get("id") + " " + (r + 1) + " " + hits[r].score + " lucene");
        }
      }
    }
  }
}
