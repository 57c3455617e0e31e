namespace TextGen.Data;

/// <summary>Where the training loop gets its (batch, sequence) inputs and next-token targets.</summary>
public interface ITrainingBatches
{
    int BatchSize { get; }
    int SequenceLength { get; }
    int StepsPerEpoch { get; }
    int TokensPerStep => BatchSize * SequenceLength;
    /// <summary>Whether step k+1 continues step k's sequences, so the recurrent state should carry over.</summary>
    bool CarriesState { get; }

    /// <summary>Fills row-major inputs and targets for step <paramref name="step"/> of epoch <paramref name="epoch"/>; targets of padding are <see cref="DocumentBatcher.Ignore"/>.</summary>
    void Fill(long epoch, int step, long[] inputs, long[] targets);

    /// <summary>After <see cref="Fill"/>, the rows whose state starts from zero though <see cref="CarriesState"/> (a row starting another text); null: none.</summary>
    bool[]? FreshRows => null;
}
