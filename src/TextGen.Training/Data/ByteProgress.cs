namespace TextGen.Data;

/// <summary>
/// What a long pass over bytes reports (tokenizing a corpus, fetching libtorch): the stage, and bytes done out of the
/// total.
/// </summary>
public readonly record struct ByteProgress(string Stage, long Bytes, long TotalBytes);
