/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Built into the Python package, which serves it at /console (oms_graph/api/console.py).
export default defineConfig({
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../src/oms_graph/console",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
  },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});
