using TextGen.Forecasting;

namespace TextGen.Tests.Forecasting;

public class PriceCsvTests
{
    [Fact]
    public void ReadsYahooStyleFilesPicksCloseSortsAndCountsWhatItSkips()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("y.csv",
            "Date,Open,High,Low,Close,Adj Close,Volume\r\n" +
            "2024-01-03,1,1,1,11,11,100\r\n" +
            "2024-01-02,1,1,1,10,10,100\r\n" +
            "\r\n" +
            "2024-01-04,1,1,1,,12,100\r\n" +
            "2024-01-05,1,1,1,null,12,100\r\n" +
            "2024-01-08,1,1,1,13,13,100\r\n");
        var series = PriceCsv.Load(path);

        Assert.Equal("Close", series.Column);
        Assert.Equal([10.0, 11, 13], series.Values);
        Assert.Equal(new DateTime(2024, 1, 2), series.Dates[0]);
        Assert.Equal((1, 1, 1), (series.SkippedBlankRows, series.SkippedEmptyCells, series.SkippedNonNumericCells));
    }

    [Fact]
    public void MultiColumnFilesNeedAColumnAndCommentsAreIgnored()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("m.csv", "# Data source: somewhere\nDate,IBM,AMZN\n1990-01-01,10,\n1990-02-01,11,\"1,5\"\n1990-03-01,12,2\n");
        var error = Assert.ThrowsAny<TextGenException>(() => PriceCsv.Load(path));
        Assert.Equal("column", Assert.IsType<SettingException>(error).Setting);
        var amzn = PriceCsv.Load(path, "amzn");
        Assert.Equal([2.0], amzn.Values);
        Assert.Equal(1, amzn.SkippedEmptyCells);
        Assert.Equal(1, amzn.SkippedNonNumericCells); // "1,5" is one quoted cell, not a number
    }

    [Theory]
    [InlineData("Date,Price\n2024-01-01,1\n2024-01-01,2\n", null, "appears twice")]
    [InlineData("Date,Price\n2024-01-01,1\n2024-01-01,\n", null, "appears twice")] // even when the repeat has no price
    [InlineData("Date,Price\n2024-01-01,1\n2024-01-02,2,7\n", null, "has 3 cells but the header names 2")]
    [InlineData("Date,Price\n2024-01-01,1\nyesterday,2\n", null, "not a date")]
    [InlineData("Date,Price\n2024-01-01,1\n", "Close", "'Close' is not a price column")]
    [InlineData("", null, "no header")]
    [InlineData("Date\n2024-01-01\n", null, "only a date column")]
    public void BadFilesGiveOneLineErrors(string text, string? column, string expected)
    {
        using var dir = new TempDirectory();
        var error = Assert.ThrowsAny<TextGenException>(() => PriceCsv.Load(dir.Write("bad.csv", text), column));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void MissingFileSaysSo()
    {
        var error = Assert.ThrowsAny<TextGenException>(() => PriceCsv.Load("/nonexistent/prices.csv"));
        Assert.Contains("no such CSV file", error.Message);
    }
}
