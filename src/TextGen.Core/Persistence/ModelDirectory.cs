namespace TextGen.Persistence;

/// <summary>Finds models in a folder of <c>.tgm</c> files.</summary>
public static class ModelDirectory
{
    /// <summary>The most recently written model of <paramref name="kind"/> in <paramref name="directory"/>.</summary>
    public static string Newest(string directory, string kind = ModelFile.TextKind)
    {
        var newest = Directory.Exists(directory)
            ? new DirectoryInfo(directory).EnumerateFiles("*" + ModelFile.Extension)
                .OrderByDescending(f => f.LastWriteTimeUtc)
                .FirstOrDefault(f => ModelFile.TryReadKind(f.FullName) == kind)
            : null;
        var train = kind == ModelFile.TextKind ? "textgen train" : $"textgen {kind} train";
        return newest?.FullName
               ?? throw new TextGenException($"no model given and {directory}/ has no {kind} models; train one with `{train}` or pass --model.");
    }
}
