-- AlterTable
ALTER TABLE "AccessToken" ADD COLUMN     "successor" TEXT;
