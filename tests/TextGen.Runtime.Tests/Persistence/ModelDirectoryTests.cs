using TextGen.Persistence;

namespace TextGen.Tests.Persistence;

/// <summary>`textgen sample` with no --model takes the newest model: never silently an older one.</summary>
public class ModelDirectoryTests(ProseModel model) : IClassFixture<ProseModel>
{
    [Fact]
    public void TheNewestModelOfTheKindIsTaken()
    {
        using var dir = new TempDirectory();
        var older = CopyModel(dir, "older.tgm", DateTime.UtcNow.AddMinutes(-10));
        var newer = CopyModel(dir, "newer.tgm", DateTime.UtcNow.AddMinutes(-5));
        var header = new { kind = "forecast" };
        ModelFile.Write(dir.File("prices.tgm"), header, AnyHeader.Json(header), new Dictionary<string, byte[]>());
        Assert.Equal(newer, ModelDirectory.Newest(dir.Path));
        Assert.Equal(dir.File("prices.tgm"), ModelDirectory.Newest(dir.Path, "forecast"));
        File.SetLastWriteTimeUtc(older, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(older, ModelDirectory.Newest(dir.Path));
    }

    [Theory]
    [InlineData("not a model at all", "is not a TextGen model file")]
    [InlineData("TEXTGEN\0\u0001\0\0\0\u00ff", "unreadable header")]
    public void ANewestFileThatCannotBeReadIsReportedNotPassedOver(string content, string expected)
    {
        using var dir = new TempDirectory();
        CopyModel(dir, "good.tgm", DateTime.UtcNow.AddMinutes(-10));
        var broken = dir.Write("broken.tgm", content);
        var error = Assert.Throws<TextGenException>(() => ModelDirectory.Newest(dir.Path));
        Assert.Contains(broken, error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains("--model", error.Message);
    }

    [Fact]
    public void AnEmptyFolderSaysHowToGetAModel()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<TextGenException>(() => ModelDirectory.Newest(dir.Path));
        Assert.Contains("textgen train", error.Message);
    }

    private string CopyModel(TempDirectory dir, string name, DateTime written)
    {
        var path = dir.File(name);
        File.Copy(model.Path, path);
        File.SetLastWriteTimeUtc(path, written);
        return path;
    }
}
