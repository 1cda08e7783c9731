// Workers as ES modules (Vite's default is an IIFE bundle; both work with the package).
export default {
  worker: { format: 'es' },
};
