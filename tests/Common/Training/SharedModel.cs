using TextGen.Generation;

namespace TextGen.Tests;

/// <summary>One small trained model shared by the tests of a class (trained once, deleted afterwards).</summary>
public sealed class SharedModel : IDisposable
{
    private readonly TempDirectory _dir = new();

    public SharedModel()
    {
        var result = SmallModels.Train(SmallModels.Request(_dir.Write("prose.txt", Corpora.Prose(8)), _dir.File("prose.tgm"), epochs: 4, seed: 3));
        Path = result.ModelPath;
        Generator = TextGenerator.Load(Path);
    }

    public string Path { get; }
    public TextGenerator Generator { get; }

    public void Dispose()
    {
        _dir.Dispose();
    }
}
