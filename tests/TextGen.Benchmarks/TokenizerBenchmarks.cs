using BenchmarkDotNet.Attributes;
using TextGen.Tokenization;

namespace TextGen.Benchmarks;

/// <summary>Encoding throughput of each tokenizer level, and BPE merge training, on a real corpus.</summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private string _text = "";
    private CharTokenizer _char = null!;
    private WordTokenizer _word = null!;
    private ByteLevelBpeTokenizer _bpe = null!;
    private string _tenMegabytes = "";

    public static string CorpusPath { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        // BenchmarkDotNet runs benchmarks in a child process, which gets the corpus through the environment.
        var path = Environment.GetEnvironmentVariable("TEXTGEN_BENCH_CORPUS") is { Length: > 0 } fromParent ? fromParent : CorpusPath;
        _text = TextNormalizer.Normalize(File.ReadAllText(path));
        _char = CharTokenizer.Build(_text);
        _word = WordTokenizer.Build(_text, new VocabularyOptions());
        _bpe = ByteLevelBpeTokenizer.Train(_text, 2000);
        _tenMegabytes = string.Concat(Enumerable.Repeat(_text, (int)Math.Ceiling(10_000_000.0 / _text.Length)));
    }

    [Benchmark] public int CharEncode() => _char.Encode(_text).Ids.Length;
    [Benchmark] public int WordEncode() => _word.Encode(_text).Ids.Length;
    [Benchmark] public int BpeEncode() => _bpe.Encode(_text).Ids.Length;
    [Benchmark] public int BpeTrainTenMegabytes() => ByteLevelBpeTokenizer.Train(_tenMegabytes, 2000).VocabularySize;

    /// <summary>Bytes of UTF-8 each benchmark processes per call, for MB/s.</summary>
    public long BytesFor(string benchmark) => System.Text.Encoding.UTF8.GetByteCount(benchmark == nameof(BpeTrainTenMegabytes) ? _tenMegabytes : _text);
}
