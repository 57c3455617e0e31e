using TextGen.Data;
using TextGen.Persistence;

namespace TextGen.Training;

/// <summary>Scores a trained model on a whole text file.</summary>
public static class CorpusEvaluation
{
    public sealed record Result(Evaluator.Loss Loss, int SkippedUnknown);

    public static Result Run(TrainedModel model, string corpusPath, int batchSize = 64, int sequenceLength = 100)
    {
        var encoded = model.Tokenizer.Encode(CorpusReader.Read(corpusPath));
        if (encoded.Ids.Length < TokenSplit.MinimumValidationTokens)
        {
            throw new TextGenException($"{corpusPath} has fewer than two characters the model knows; pass a longer text in the model's alphabet.");
        }
        return new Result(Evaluator.Evaluate(model.Network, encoded.Ids, batchSize, sequenceLength), encoded.UnknownCount);
    }
}
