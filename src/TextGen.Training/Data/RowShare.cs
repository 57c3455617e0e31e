namespace TextGen.Data;

/// <summary>
/// The rows of every batch that one of several training processes fills (<see cref="Distributed.TrainingRanks"/>):
/// rank r of n takes rows [r·B/n, (r+1)·B/n) of a batch of B rows, so the n processes together train on exactly the
/// batch one process would, and each reads only its rows' tokens.
/// </summary>
public sealed record RowShare(int Rank, int Ranks)
{
    /// <summary>One process filling every row.</summary>
    public static RowShare All { get; } = new(0, 1);

    public int Rows(int batch) => batch / Ranks;

    public int First(int batch) => Rank * Rows(batch);

    /// <summary>The largest batch of at most <paramref name="batch"/> rows that shares evenly; throws when there are fewer rows than ranks.</summary>
    public int Fit(int batch, string rows)
    {
        if (batch < Ranks) throw new TextGenException($"{rows} give {batch} rows per batch, fewer than the {Ranks} ranks; run fewer ranks (mpirun -n), or give a longer corpus.");
        return batch / Ranks * Ranks;
    }
}
