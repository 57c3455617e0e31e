using System.Globalization;
using System.Text;
using TextGen.Persistence;

namespace TextGen.Embeddings;

/// <summary>Writes and reads embeddings: TensorBoard projector TSV files and the word2vec text format.</summary>
public static class EmbeddingExport
{
    public const string VectorsFile = "vectors.tsv";
    public const string MetadataFile = "metadata.tsv";
    public const string Word2VecFile = "embeddings.w2v.txt";

    public static void Write(EmbeddingTable table, string directory)
    {
        if (File.Exists(directory))
        {
            throw new SettingException("export", $"{directory} is a file; give a directory to write {VectorsFile}, {MetadataFile} and {Word2VecFile} into.");
        }
        var vectors = new StringBuilder();
        var metadata = new StringBuilder();
        var word2vec = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{table.Tokens.Count} {table.Dimension}\n");
        for (var i = 0; i < table.Tokens.Count; i++)
        {
            var values = string.Join('\t', table.Vectors[i].Select(Format));
            vectors.Append(values).Append('\n');
            metadata.Append(table.Tokens[i]).Append('\n');
            word2vec.Append(table.Tokens[i]).Append(' ').Append(values.Replace('\t', ' ')).Append('\n');
        }
        AtomicFile.Write(Path.Combine(directory, VectorsFile), s => s.Write(Encoding.UTF8.GetBytes(vectors.ToString())));
        AtomicFile.Write(Path.Combine(directory, MetadataFile), s => s.Write(Encoding.UTF8.GetBytes(metadata.ToString())));
        AtomicFile.Write(Path.Combine(directory, Word2VecFile), s => s.Write(Encoding.UTF8.GetBytes(word2vec.ToString())));
    }

    /// <summary>
    /// Reads a word2vec text file (first line "count dimension") or a GloVe file (no header): one token and its values
    /// per line. Malformed lines and lines of another dimension are errors naming the line.
    /// </summary>
    public static Dictionary<string, float[]> ReadText(string path)
    {
        var lines = Encoding.UTF8.GetString(InputFile.ReadAllBytes(path, "embeddings file", "check the path")).Split('\n');
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var dimension = -1;
        for (var n = 0; n < lines.Length; n++)
        {
            var parts = lines[n].TrimEnd('\r').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            if (n == 0 && parts.Length == 2 && int.TryParse(parts[0], out _) && int.TryParse(parts[1], out var declared))
            {
                dimension = declared;
                continue;
            }
            if (parts.Length < 2)
            {
                throw new TextGenException($"{path} line {n + 1} has a token but no values; each line must be: token v1 v2 ...");
            }
            var values = new float[parts.Length - 1];
            for (var i = 1; i < parts.Length; i++)
            {
                if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i - 1]))
                {
                    throw new TextGenException($"{path} line {n + 1}: '{parts[i]}' is not a number; each line must be: token v1 v2 ...");
                }
            }
            if (dimension < 0) dimension = values.Length;
            if (values.Length != dimension)
            {
                throw new TextGenException($"{path} line {n + 1} has {values.Length} values where earlier lines have {dimension}; the file is malformed.");
            }
            vectors[parts[0]] = values;
        }
        if (vectors.Count == 0)
        {
            throw new TextGenException($"{path} has no vectors; pass a word2vec or GloVe text file.");
        }
        return vectors;
    }

    private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
