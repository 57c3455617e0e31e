using System.CommandLine;
using System.Reflection;
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
    [InlineData("--dense", "8,x", "--dense 'x' is not a whole number; use e.g. 32,16.")]
    [InlineData("--dense", "8,0", "--dense 0 is out of range; use 1 to 8192.")]
    [InlineData("--max-time", "soon", "--max-time 'soon' is not a duration up to a year; use e.g. 90s, 5m or 1h.")]
    public void OutOfRangeFlagsAreParseErrorsNamingTheFlag(string flag, string value, string expected)
    {
        var command = new RootCommand();
        foreach (var option in new OptionBinder<SeriesSettings>().Options.Concat(new OptionBinder<ForecastNetConfig>().Options)
                     .Concat(new OptionBinder<ForecastTrainingOptions>().Options)) command.Add(option);
        Assert.Equal(expected, Assert.Single(command.Parse([flag, value]).Errors).Message);
    }

    [Fact]
    public void ASettingComesFromItsVariableUnlessTheFlagIsGiven()
    {
        var binder = new OptionBinder<TextGen.Server.ServerOptions>(fromEnvironment: true);
        var command = new RootCommand();
        foreach (var option in binder.Options) command.Add(option);
        Assert.Contains("Environment: TEXTGEN_MAX_TOKENS.", binder["max-tokens"].Description);
        Environment.SetEnvironmentVariable("TEXTGEN_PORT", "9001");
        try
        {
            Assert.Equal(9001, binder.Bind(command.Parse([])).Port);
            Assert.True(binder.Given(command.Parse([]), "port"));
            Assert.Equal(9002, binder.Bind(command.Parse(["--port", "9002"])).Port);
            Environment.SetEnvironmentVariable("TEXTGEN_PORT", "70000");
            var error = Assert.Throws<TextGenException>(() => binder.Bind(command.Parse([])));
            Assert.Equal("TEXTGEN_PORT=70000: --port 70000 is out of range; use 0 to 65535; fix or unset the variable.", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TEXTGEN_PORT", null);
        }
        Assert.Equal(8080, binder.Bind(command.Parse([])).Port);
    }

    [Fact]
    public void ANullableChoiceTakesTheWordForThePicksDefault()
    {
        var binder = new OptionBinder<TextGen.Training.TrainingOptions>();
        var command = new RootCommand();
        foreach (var option in binder.Options) command.Add(option);
        Assert.Null(binder.Bind(command.Parse([])).Precision);
        Assert.Null(binder.Bind(command.Parse(["--precision", "auto"])).Precision);
        Assert.Equal(TextGen.Training.TrainingPrecision.Bf16, binder.Bind(command.Parse(["--precision", "BF16"])).Precision);
        Assert.Equal("--precision fp16 is not one of auto, fp32 or bf16.", Assert.Single(command.Parse(["--precision", "fp16"]).Errors).Message);
    }
}
