using System.CommandLine;
using System.Reflection;
using TextGen.Cli;
using TextGen.Forecasting;
using TextGen.Modeling;
using TextGen.Settings;

namespace TextGen.Tests.Settings;

/// <summary>Options declared on record properties: the library's checks and the CLI's flags both come from them.</summary>
public class DeclaredOptionsTests
{
    [Fact]
    public void EveryDeclaredDefaultIsInItsOwnRange()
    {
        var records = typeof(SeriesSettings).Assembly.GetTypes().Concat(typeof(RecurrentNetConfig).Assembly.GetTypes())
            .Where(t => t.GetProperties().Any(p => p.GetCustomAttribute<OptionAttribute>() is not null)).ToArray();
        Assert.Contains(typeof(SeriesSettings), records);
        foreach (var record in records)
        {
            var defaults = Activator.CreateInstance(record)!;
            foreach (var property in record.GetProperties().Where(p => p.GetCustomAttribute<OptionAttribute>() is not null))
            {
                var declared = (IReadOnlyList<DeclaredOption>)typeof(Declared<>).MakeGenericType(record).GetProperty("Options")!.GetValue(null)!;
                var option = declared.Single(d => d.Property == property);
                Assert.True(option.Problem(property.GetValue(defaults)) is null, $"{record.Name}.{property.Name}: {option.Problem(property.GetValue(defaults))}");
            }
        }
    }

    [Fact]
    public void TheLibraryRefusesOutOfRangeValuesInTheDeclaredWords()
    {
        var error = Assert.Throws<SettingException>(() => new SeriesSettings { Window = 0 }.Validate());
        Assert.Equal("window 0 is out of range; use 1 to 10000.", error.Message);
        error = Assert.Throws<SettingException>(() => new ForecastTrainingOptions { LearningRate = 0 }.Validate());
        Assert.Equal("learning-rate 0 is out of range; use more than 0 up to 1, e.g. 0.003.", error.Message);
        error = Assert.Throws<SettingException>(() => new ForecastNetConfig { Dense = [16, 0] }.Validate());
        Assert.Equal("dense 0 is out of range; use 1 to 8192.", error.Message);
        error = Assert.Throws<SettingException>(() => new SeriesSettings { Diff = (DiffMode)9 }.Validate());
        Assert.Equal("diff 9 is not one of none, abs, pct or log.", error.Message);
    }

    [Fact]
    public void FlagsBindToTheRecordTheyDescribe()
    {
        var series = new OptionBinder<SeriesSettings>();
        var network = new OptionBinder<ForecastNetConfig>();
        var training = new OptionBinder<ForecastTrainingOptions>();
        var command = new RootCommand();
        foreach (var option in series.Options.Concat(network.Options).Concat(training.Options)) command.Add(option);

        var parse = command.Parse(["--diff", "log", "--window", "12", "--cell", "gru", "--dense", "32, 16", "--max-time", "90s"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(new SeriesSettings { Diff = DiffMode.Log, Window = 12 }, series.Bind(parse));
        var bound = network.Bind(parse);
        Assert.Equal(CellType.Gru, bound.Cell);
        Assert.Equal([32, 16], bound.Dense);
        var options = training.Bind(parse, new ForecastTrainingOptions { Seed = 42 });
        Assert.Equal((TimeSpan.FromSeconds(90), 42L, 500), (options.MaxTime!.Value, options.Seed, options.Epochs)); // a chosen default keeps the start's
        Assert.False(training.Given(parse, "seed"));
        Assert.Equal(7L, training.Bind(command.Parse(["--seed", "7"]), new ForecastTrainingOptions { Seed = 42 }).Seed);
    }

    [Theory]
    [InlineData("--window", "0", "--window 0 is out of range; use 1 to 10000.")]
    [InlineData("--dense", "8,x", "--dense '8,x' is not a list of whole numbers 1 to 8192; use e.g. 32,16.")]
    [InlineData("--max-time", "soon", "--max-time 'soon' is not a duration up to a year; use e.g. 90s, 5m or 1h.")]
    public void OutOfRangeFlagsAreParseErrorsNamingTheFlag(string flag, string value, string expected)
    {
        var command = new RootCommand();
        foreach (var option in new OptionBinder<SeriesSettings>().Options.Concat(new OptionBinder<ForecastNetConfig>().Options)
                     .Concat(new OptionBinder<ForecastTrainingOptions>().Options)) command.Add(option);
        Assert.Equal(expected, Assert.Single(command.Parse([flag, value]).Errors).Message);
    }
}
