namespace TextGen.Persistence;

/// <summary>Reads a file the user named, turning the usual mistakes into one-line messages.</summary>
public static class InputFile
{
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="kind">What the file should be, e.g. "text file" or ".tgm model file".</param>
    /// <param name="missingHint">What to do when it does not exist.</param>
    public static byte[] ReadAllBytes(string path, string kind, string missingHint)
    {
        Check(path, kind, missingHint);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TextGenException($"{path} cannot be read ({e.Message}); check its permissions.", e);
        }
    }

    /// <summary>Opens the file for reading (sequential reads, shared with other readers).</summary>
    public static FileStream OpenRead(string path, string kind, string missingHint)
    {
        Check(path, kind, missingHint);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TextGenException($"{path} cannot be read ({e.Message}); check its permissions.", e);
        }
    }

    private static void Check(string path, string kind, string missingHint)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new TextGenException($"no path given; pass a {kind}.");
        }
        if (Directory.Exists(path))
        {
            throw new TextGenException($"{path} is a directory; pass a {kind}.");
        }
        if (!File.Exists(path))
        {
            throw new TextGenException($"{path}: no such {kind}; {missingHint}.");
        }
    }
}
