namespace TextGen.Data;

/// <summary>
/// The files a run trains on, from what the user named: files as given, and for a folder the text files in it and its
/// subfolders (<see cref="TextExtensions"/>; hidden files and folders skipped), in ordinal path order. A file named
/// twice is read once. Each file is a document boundary and is tokenized and cached on its own.
/// </summary>
public static class CorpusFiles
{
    /// <summary>What a folder's text files end in; a file named directly may end in anything.</summary>
    public static readonly IReadOnlyList<string> TextExtensions = [".txt", ".md", ".text"];

    public static IReadOnlyList<string> Expand(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0) throw new TextGenException("no corpus given; pass a text file or a folder of them.");
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            if (string.IsNullOrWhiteSpace(argument)) throw new TextGenException("an empty corpus path was given; pass a text file or a folder.");
            var found = Directory.Exists(argument) ? TextFilesIn(argument) : [argument];
            foreach (var file in found)
            {
                if (seen.Add(Path.GetFullPath(file))) files.Add(file);
            }
        }
        return files;
    }

    /// <summary>The name a run's model takes by default: the one file or folder named, else the first of them.</summary>
    public static string Name(IReadOnlyList<string> arguments)
    {
        var first = arguments.Count > 0 ? arguments[0].TrimEnd('/', Path.DirectorySeparatorChar) : "";
        return Directory.Exists(first) ? Path.GetFileName(Path.GetFullPath(first)) : Path.GetFileNameWithoutExtension(first);
    }

    /// <summary>What the model header records as its corpus: the names given, shortened past three.</summary>
    public static string Describe(IReadOnlyList<string> arguments)
    {
        var names = arguments.Select(a => Directory.Exists(a) ? Path.GetFileName(Path.GetFullPath(a)) + "/" : Path.GetFileName(a)).ToList();
        return names.Count <= 3 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(3))} and {names.Count - 3} more";
    }

    private static List<string> TextFilesIn(string folder)
    {
        List<string> files;
        try
        {
            files = [.. Walk(folder).Where(f => TextExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TextGenException($"{folder} cannot be listed ({e.Message}); check its permissions.", e);
        }
        if (files.Count == 0)
        {
            throw new TextGenException($"{folder} holds no text files ({string.Join(", ", TextExtensions)}); put the texts there, or name the files themselves.");
        }
        return files;
    }

    /// <summary>The files under a folder, hidden ones and hidden folders skipped; linked files are read, linked folders not entered (a link to a parent would never end).</summary>
    private static IEnumerable<string> Walk(string folder)
    {
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.System, IgnoreInaccessible = false };
        foreach (var file in Directory.EnumerateFiles(folder, "*", options).Where(f => !Path.GetFileName(f).StartsWith('.')))
        {
            yield return file;
        }
        foreach (var sub in Directory.EnumerateDirectories(folder, "*", options))
        {
            if (Path.GetFileName(sub).StartsWith('.') || new DirectoryInfo(sub).LinkTarget is not null) continue;
            foreach (var file in Walk(sub)) yield return file;
        }
    }
}
