// Lucene 4.10 side of scripts/bench/phrases.js, run by it with the machine's javac and Debian's
// liblucene4.10-java. Two modes, each printing one JSON line:
//   build <corpus.tsv> <field,field,...> <whitespace|english> <indexDir> <positions|freqs>
//     indexes the corpus (lines "id \t field1 \t field2 ..."): each field a TextField (positions,
//     Lucene's default: DOCS_AND_FREQS_AND_POSITIONS) or a field of IndexOptions.DOCS_AND_FREQS,
//     BM25Similarity(1.2, 0.75), a 256 MB RAM buffer, then forceMerge(1) and close; prints the
//     build seconds, the bytes of the folder, of its postings (.doc) and of its positions (.pos, .pay).
//   query <positionsIndexDir> <freqsIndexDir> <queries.tsv> <whitespace|english> <passes>
//     runs the queries (lines "set \t slop \t field \t text"; slop -1: a term query) single-thread,
//     IndexSearcher.search(query, 10): phrase sets (QueryBuilder.createPhraseQuery with the slop)
//     on the positions index, term queries (QueryBuilder.createBooleanQuery: one SHOULD clause per
//     token) on both indexes, passes interleaved. After two rounds of every set (JIT warm-up), per
//     set: p50/p99 in ms, the median over passes after a warm-up pass of the set, and each query's
//     number of matching documents (TopDocs.totalHits).
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.*;
import org.apache.lucene.index.*;
import org.apache.lucene.search.*;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;
import org.apache.lucene.util.Version;

public class LucenePhraseBench {
  static Analyzer analyzer(String name) {
    if (name.equals("whitespace")) return new WhitespaceAnalyzer();
    if (name.equals("english")) return new EnglishAnalyzer();
    throw new IllegalArgumentException("unknown analyzer " + name);
  }

  public static void main(String[] args) throws Exception {
    if (args[0].equals("build")) build(args[1], args[2].split(","), analyzer(args[3]), args[4], args[5].equals("positions"));
    else if (args[0].equals("query")) query(args[1], args[2], args[3], analyzer(args[4]), Integer.parseInt(args[5]));
    else throw new IllegalArgumentException("mode: build or query");
  }

  static void build(String corpus, String[] fields, Analyzer analyzer, String indexDir, boolean positions) throws Exception {
    FieldType type = new FieldType(TextField.TYPE_NOT_STORED);
    if (!positions) type.setIndexOptions(FieldInfo.IndexOptions.DOCS_AND_FREQS);
    type.freeze();
    long started = System.nanoTime();
    FSDirectory dir = FSDirectory.open(new File(indexDir));
    IndexWriterConfig config = new IndexWriterConfig(Version.LUCENE_4_10_4, analyzer);
    config.setSimilarity(new BM25Similarity(1.2f, 0.75f));
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    config.setRAMBufferSizeMB(256);
    IndexWriter writer = new IndexWriter(dir, config);
    long docs = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(corpus), StandardCharsets.UTF_8), 1 << 20)) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] parts = line.split("\t", -1);
        Document doc = new Document();
        doc.add(new StringField("id", parts[0], Field.Store.YES));
        for (int f = 0; f < fields.length; f++) doc.add(new Field(fields[f], parts[f + 1], type));
        writer.addDocument(doc);
        docs++;
      }
    }
    writer.forceMerge(1);
    writer.close();
    double seconds = (System.nanoTime() - started) / 1e9;
    long size = 0, postings = 0, positionBytes = 0;
    for (File f : new File(indexDir).listFiles()) {
      size += f.length();
      String name = f.getName();
      if (name.endsWith(".doc")) postings += f.length();
      if (name.endsWith(".pos") || name.endsWith(".pay")) positionBytes += f.length();
    }
    System.out.println("{\"docs\":" + docs + ",\"buildSeconds\":" + seconds + ",\"bytes\":" + size + ",\"postingBytes\":" + postings + ",\"positionBytes\":" + positionBytes + "}");
  }

  static class QuerySet {
    String name;
    List<Query> queries = new ArrayList<>();
  }

  /** p50 and p99 (ms) of one pass, and the match counts. */
  static double[] pass(IndexSearcher searcher, List<Query> queries, long[] counts) throws IOException {
    double[] times = new double[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      long t = System.nanoTime();
      TopDocs top = searcher.search(queries.get(i), 10);
      times[i] = (System.nanoTime() - t) / 1e6;
      if (counts != null) counts[i] = top.totalHits;
    }
    Arrays.sort(times);
    return new double[] {times[(int) Math.ceil(0.5 * times.length) - 1], times[(int) Math.ceil(0.99 * times.length) - 1]};
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  static String json(String name, double[] p50, double[] p99, long[] counts) {
    StringBuilder out = new StringBuilder();
    out.append("{\"name\":\"").append(name).append("\",\"p50\":").append(median(p50)).append(",\"p99\":").append(median(p99)).append(",\"counts\":[");
    for (int i = 0; i < counts.length; i++) out.append(i == 0 ? "" : ",").append(counts[i]);
    return out.append("]}").toString();
  }

  static void query(String positionsDir, String freqsDir, String queriesFile, Analyzer analyzer, int passes) throws Exception {
    QueryBuilder builder = new QueryBuilder(analyzer);
    LinkedHashMap<String, QuerySet> sets = new LinkedHashMap<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(queriesFile), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] parts = line.split("\t", -1);
        int slop = Integer.parseInt(parts[1]);
        Query q = slop < 0 ? builder.createBooleanQuery(parts[2], parts[3]) : builder.createPhraseQuery(parts[2], parts[3], slop);
        if (q == null) q = new BooleanQuery(); // nothing left after analysis: matches nothing
        QuerySet set = sets.get(parts[0]);
        if (set == null) {
          set = new QuerySet();
          set.name = parts[0];
          sets.put(parts[0], set);
        }
        set.queries.add(q);
      }
    }
    BM25Similarity similarity = new BM25Similarity(1.2f, 0.75f);
    DirectoryReader positionsReader = DirectoryReader.open(FSDirectory.open(new File(positionsDir)));
    IndexSearcher positions = new IndexSearcher(positionsReader);
    positions.setSimilarity(similarity);
    DirectoryReader freqsReader = freqsDir.equals("-") ? null : DirectoryReader.open(FSDirectory.open(new File(freqsDir)));
    IndexSearcher freqs = freqsReader == null ? null : new IndexSearcher(freqsReader);
    if (freqs != null) freqs.setSimilarity(similarity);

    // JIT warm-up: every set twice (terms on both indexes) before any set is measured.
    for (int round = 0; round < 2; round++) {
      for (QuerySet set : sets.values()) {
        pass(positions, set.queries, null);
        if (set.name.equals("term") && freqs != null) pass(freqs, set.queries, null);
      }
    }
    StringBuilder out = new StringBuilder("{\"engine\":\"Lucene 4.10.4\",\"phrase\":[");
    String term = "";
    boolean first = true;
    for (QuerySet set : sets.values()) {
      List<Query> qs = set.queries;
      long[] counts = new long[qs.size()];
      if (!set.name.equals("term")) {
        pass(positions, qs, counts); // warm-up
        double[] p50 = new double[passes], p99 = new double[passes];
        for (int p = 0; p < passes; p++) {
          double[] r = pass(positions, qs, null);
          p50[p] = r[0];
          p99[p] = r[1];
        }
        out.append(first ? "" : ",").append(json(set.name, p50, p99, counts));
        first = false;
      } else {
        long[] freqCounts = new long[qs.size()];
        pass(positions, qs, counts);
        if (freqs != null) pass(freqs, qs, freqCounts);
        double[] p50 = new double[passes], p99 = new double[passes], f50 = new double[passes], f99 = new double[passes];
        for (int p = 0; p < passes; p++) {
          double[] r = pass(positions, qs, null);
          p50[p] = r[0];
          p99[p] = r[1];
          if (freqs != null) {
            r = pass(freqs, qs, null);
            f50[p] = r[0];
            f99[p] = r[1];
          }
        }
        term = ",\"term\":{\"positions\":" + json("positions", p50, p99, counts) + (freqs == null ? "" : ",\"freqs\":" + json("freqs", f50, f99, freqCounts)) + "}";
      }
    }
    out.append("]").append(term).append("}");
    positionsReader.close();
    if (freqsReader != null) freqsReader.close();
    System.out.println(out);
  }
}
