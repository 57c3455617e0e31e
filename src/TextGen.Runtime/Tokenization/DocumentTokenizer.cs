namespace TextGen.Tokenization;

/// <summary>
/// Adds start and end-of-document markers to another tokenizer, for corpora of short documents (one per line).
/// The markers get the two ids after the inner vocabulary and no text: they never appear in encoded text, and
/// decode to nothing.
/// </summary>
public sealed class DocumentTokenizer(ITokenizer inner) : ITokenizer
{
    public ITokenizer Inner { get; } = inner;
    public int Start => Inner.VocabularySize;
    public int End => Inner.VocabularySize + 1;

    public string Level => Inner.Level;
    public int VocabularySize => Inner.VocabularySize + 2;

    /// <summary>Each non-empty line of <paramref name="text"/> as a document: start marker, its tokens, end marker.</summary>
    public IReadOnlyList<int[]> EncodeDocuments(string text, out int unknown)
    {
        var documents = new List<int[]>();
        unknown = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.Trim().Length == 0) continue;
            var encoded = Inner.Encode(line);
            unknown += encoded.UnknownCount;
            documents.Add([Start, .. encoded.Ids, End]);
        }
        return documents;
    }

    public EncodedText Encode(string text) => Inner.Encode(text);

    public string Decode(IEnumerable<int> ids) => Inner.Decode(ids.Where(id => id < Start));

    public string TokenText(int id) => id >= Start && id <= End ? "" : Inner.TokenText(id);

    public ITokenStreamDecoder NewStreamDecoder() => new MarkerSkippingDecoder(this, Inner.NewStreamDecoder());

    public TokenizerDescription Describe() => Inner.Describe() with { Documents = true };

    private sealed class MarkerSkippingDecoder(DocumentTokenizer tokenizer, ITokenStreamDecoder inner) : ITokenStreamDecoder
    {
        public string Push(int id) => id >= tokenizer.Start ? "" : inner.Push(id);

        public string Flush() => inner.Flush();
    }
}
