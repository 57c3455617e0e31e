using TextGen.Data;
using TextGen.Persistence;

namespace TextGen.Training;

/// <summary>Scores a trained model on a whole text file, read through the token cache.</summary>
public static class CorpusEvaluation
{
    /// <param name="Unknown">Tokens of the file outside the model's vocabulary (skipped characters, or words scored as unknown).</param>
    /// <param name="FirstUnknown">The first of them, where the tokenizer tells.</param>
    public sealed record Result(Evaluator.Loss Loss, long Unknown, string? FirstUnknown)
    {
        /// <summary>Set when the token cache's entry for the file was damaged and the file was tokenized again.</summary>
        public string? CacheWarning { get; init; }
    }

    public static Result Run(TrainableModel model, string corpusPath, int batchSize = 64, int sequenceLength = 100, TokenCache? cache = null,
        IProgress<ByteProgress>? tokenizing = null, CancellationToken cancel = default)
    {
        var choice = new TokenizerChoice { Given = model.Tokenizer };
        using var corpus = CorpusEncoder.Encode(corpusPath, choice, cache ?? new TokenCache(TokenCache.DefaultDirectory), tokenizing, cancel);
        if (corpus.DocumentStarts is { } starts)
        {
            if (starts.Length == 0)
            {
                throw new TextGenException($"{corpusPath} has no non-empty lines to score; pass a file of documents, one per line.");
            }
            var loss = Evaluator.EvaluateDocuments(model.Network, LineDocuments.FromStarts(corpus.Ids, starts), batchSize, sequenceLength);
            return new Result(loss, corpus.Unknown, null) { CacheWarning = corpus.CacheWarning };
        }
        if (corpus.Ids.Length < TokenSplit.MinimumValidationTokens)
        {
            throw new TextGenException($"{corpusPath} has fewer than two characters the model knows; pass a longer text in the model's alphabet.");
        }
        return new Result(Evaluator.Evaluate(model.Network, corpus.Ids, batchSize, sequenceLength, cancel), corpus.Unknown, corpus.FirstUnknown) { CacheWarning = corpus.CacheWarning };
    }
}
