using TextGen.Cli;

return CommandLineApp.Run(args, Console.Out, Console.Error);
