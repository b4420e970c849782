// Lucene 4.10 side of scripts/bench/compare-engines.js: EnglishAnalyzer + BM25Similarity(0.9, 0.4),
// one "contents" field (title + text), bag-of-words queries (one SHOULD TermQuery per analyzed
// query token, so repeated tokens count repeatedly, as Anserini does). Prints one JSON line.
// Built and run by compare-engines.js with the machine's javac and Debian's liblucene4.10-java.
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
  public static void main(String[] args) throws Exception {
    String corpus = args[0], queriesFile = args[1], indexDir = args[2], runFile = args[3];
    int passes = Integer.parseInt(args[4]);
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
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(corpus), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        int tab = line.indexOf('\t');
        Document doc = new Document();
        doc.add(new StringField("id", line.substring(0, tab), Field.Store.YES));
        doc.add(new TextField("contents", line.substring(tab + 1), Field.Store.NO));
        writer.addDocument(doc);
      }
    }
    writer.forceMerge(1);
    writer.close();
    double indexSeconds = (System.nanoTime() - started) / 1e9;
    long size = 0;
    for (File f : new File(indexDir).listFiles()) size += f.length();

    DirectoryReader reader = DirectoryReader.open(dir);
    IndexSearcher searcher = new IndexSearcher(reader);
    searcher.setSimilarity(similarity);
    List<String> qids = new ArrayList<>();
    List<Query> queries = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(queriesFile), StandardCharsets.UTF_8))) {
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
    for (Query q : queries) searcher.search(q, 100);

    StringBuilder json = new StringBuilder();
    json.append("{\"engine\":\"Lucene 4.10.4\",\"indexSeconds\":").append(indexSeconds).append(",\"indexBytes\":").append(size)
        .append(",\"memoryBytes\":null,\"latency\":{"); // the index is memory-mapped: not in the JVM heap
    int[] ks = {10, 100};
    for (int ki = 0; ki < ks.length; ki++) {
      int k = ks[ki];
      double[] p50 = new double[passes], p99 = new double[passes];
      for (int pass = 0; pass < passes; pass++) {
        double[] times = new double[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
          long t = System.nanoTime();
          searcher.search(queries.get(i), k);
          times[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(times);
        p50[pass] = times[(int) Math.ceil(0.5 * times.length) - 1];
        p99[pass] = times[(int) Math.ceil(0.99 * times.length) - 1];
      }
      Arrays.sort(p50);
      Arrays.sort(p99);
      json.append(ki == 0 ? "" : ",").append('"').append(k).append("\":{\"p50\":").append(p50[passes / 2]).append(",\"p99\":").append(p99[passes / 2]).append('}');
    }
    json.append("}}");
    try (PrintWriter run = new PrintWriter(new OutputStreamWriter(new FileOutputStream(runFile), StandardCharsets.UTF_8))) {
      for (int i = 0; i < queries.size(); i++) {
        ScoreDoc[] hits = searcher.search(queries.get(i), 100).scoreDocs;
        for (int r = 0; r < hits.length; r++) {
          run.println(qids.get(i) + " Q0 " + searcher.doc(hits[r].doc).get("id") + " " + (r + 1) + " " + hits[r].score + " lucene");
        }
      }
    }
    reader.close();
    System.out.println(json);
  }
}
