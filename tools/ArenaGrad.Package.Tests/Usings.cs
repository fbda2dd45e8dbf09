global using System;
global using System.IO;
global using NUnit.Framework;
