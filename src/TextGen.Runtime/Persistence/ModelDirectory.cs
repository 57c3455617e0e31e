namespace TextGen.Persistence;

/// <summary>Finds models in a folder of <c>.tgm</c> files.</summary>
public static class ModelDirectory
{
    /// <summary>
    /// The most recently written model of <paramref name="kind"/> in <paramref name="directory"/>, kept evaluations'
    /// models aside (<see cref="KeptModels"/>). A newer file that cannot be read is reported, not passed over: the user
    /// expects the newest model, not an older one.
    /// </summary>
    public static string Newest(string directory, string kind = ModelFile.TextKind)
    {
        var files = Directory.Exists(directory)
            ? new DirectoryInfo(directory).EnumerateFiles("*" + ModelFile.Extension).Where(f => !KeptModels.IsKept(f.Name)).OrderByDescending(f => f.LastWriteTimeUtc)
            : Enumerable.Empty<FileInfo>();
        foreach (var file in files)
        {
            string fileKind;
            try
            {
                fileKind = ModelFile.ReadKind(file.FullName);
            }
            catch (TextGenException e)
            {
                throw new TextGenException($"the newest model in {directory}/ cannot be used: {e.Message} Pass --model to choose one, or move it away.", e);
            }
            if (fileKind == kind)
            {
                return file.FullName;
            }
        }
        var train = kind == ModelFile.TextKind ? "textgen train" : $"textgen {kind} train";
        throw new TextGenException($"no model given and {directory}/ has no {kind} models; train one with `{train}` or pass --model.");
    }
}
