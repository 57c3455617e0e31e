using TextGen.Data;
using TextGen.Persistence;
using TextGen.Tokenization;

namespace TextGen.Training;

/// <summary>Scores a trained model on a whole text file.</summary>
public static class CorpusEvaluation
{
    /// <param name="Unknown">Tokens of the file outside the model's vocabulary (skipped characters, or words scored as unknown).</param>
    /// <param name="FirstUnknown">The first of them, where the tokenizer tells.</param>
    public sealed record Result(Evaluator.Loss Loss, int Unknown, string? FirstUnknown);

    public static Result Run(TrainedModel model, string corpusPath, int batchSize = 64, int sequenceLength = 100)
    {
        var text = CorpusReader.Read(corpusPath);
        if (model.Tokenizer is DocumentTokenizer documents)
        {
            var encodedDocuments = documents.EncodeDocuments(text, out var unknownInDocuments);
            if (encodedDocuments.Count == 0)
            {
                throw new TextGenException($"{corpusPath} has no non-empty lines to score; pass a file of documents, one per line.");
            }
            return new Result(Evaluator.EvaluateDocuments(model.Network, encodedDocuments, batchSize, sequenceLength), unknownInDocuments, null);
        }
        var encoded = model.Tokenizer.Encode(text);
        if (encoded.Ids.Length < TokenSplit.MinimumValidationTokens)
        {
            throw new TextGenException($"{corpusPath} has fewer than two characters the model knows; pass a longer text in the model's alphabet.");
        }
        return new Result(Evaluator.Evaluate(model.Network, encoded.Ids, batchSize, sequenceLength), encoded.UnknownCount, encoded.FirstUnknown);
    }
}
