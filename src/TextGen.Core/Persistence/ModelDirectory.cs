namespace TextGen.Persistence;

/// <summary>Finds models in a folder of <c>.tgm</c> files.</summary>
public static class ModelDirectory
{
    public static string Newest(string directory)
    {
        var newest = Directory.Exists(directory)
            ? new DirectoryInfo(directory).EnumerateFiles("*" + ModelFile.Extension).MaxBy(f => f.LastWriteTimeUtc)
            : null;
        return newest?.FullName
               ?? throw new TextGenException($"no model given and {directory}/ has no {ModelFile.Extension} files; train one with `textgen train` or pass --model.");
    }
}
